/// A message that is answered: it names its reply type, so a caller gets that type back
/// (``Ack`` for commands) and a handler must return it.
///
/// Which type answers which is one table, in `RequestReplies.swift`, beside the table of
/// who may send what.
public protocol Request: Message {
    associatedtype Reply: Message
}
