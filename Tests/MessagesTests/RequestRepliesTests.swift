import Messages
import Testing

// Issue 15 item 5: a request names its reply type; every message type is a request or a reply.
@Suite("Request replies")
struct RequestRepliesTests {
    static func replyName<R: Request>(_ type: R.Type) -> String { R.Reply.wireName }

    @Test func everyMessageIsARequestWithAReplyOrTheReplyOfOne() {
        let types = MessageCatalog.standard.types
        let requests = types.compactMap { $0 as? any Request.Type }
        let replies = Set(requests.map { Self.replyName($0) })
        for type in types where !(type is any Request.Type) {
            #expect(replies.contains(type.wireName) || type == ErrorReply.self, "\(type.wireName) is neither a request nor a reply")
        }
        for request in requests {
            #expect(MessageCatalog.standard.type(named: Self.replyName(request)) != nil, "\(request.wireName)'s reply is not in the catalog")
        }
    }

    @Test func requestsNameWhoMaySendThemAndRepliesNobody() {
        for type in MessageCatalog.standard.types {
            if type is any Request.Type {
                #expect(!type.allowedSenders.isEmpty, "\(type.wireName) is a request nobody may send")
            } else {
                #expect(type.allowedSenders.isEmpty, "\(type.wireName) is a reply but may be sent as a request")
            }
        }
    }
}
