import Bus
import Messages

/// The bus face of prestaged content: export and upload tickets, a DP's import recorded.
struct PrestagedRequests: Sendable {
    let prestaged: PrestagedContent

    func register(on dispatcher: inout BusDispatcher) {
        let prestaged = prestaged
        dispatcher.on(ExportContent.self) { request, _ in try await prestaged.export(request) }
        dispatcher.on(PrestagedImportTicketRequest.self) { request, _ in try await prestaged.importTicket(request) }
        dispatcher.on(RecordPrestagedImport.self) { request, _ in try await prestaged.record(request) }
        dispatcher.on(LibraryRestoreTicketRequest.self) { request, _ in try prestaged.restoreTicket(request) }
        dispatcher.on(MoveLibrary.self) { request, _ in try await prestaged.moveLibrary(request) }
    }
}
