import FerryCLI

@main
enum FerryMain {
    static func main() async {
        await FerryCommand.runMain()
    }
}
