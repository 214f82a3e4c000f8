import FerryFuzz

@main
enum FuzzMain {
    static func main() async {
        await FuzzCommand.main()
    }
}
