public import Foundation
public import Hummingbird
import NIOCore

/// Small response helpers shared by the services' HTTP handlers.
public enum HTTPResponses {
    public static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(text)
        return Response(status: status, headers: [.contentType: contentType, .contentLength: "\(buffer.readableBytes)"],
                        body: .init(byteBuffer: buffer))
    }

    /// `{"error": message}` as valid JSON whatever the message holds (quotes, backslashes,
    /// newlines and other control characters are escaped by the JSON encoder).
    public static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": message], status: status)
    }

    /// A value encoded as one line of JSON (sorted keys) followed by a newline.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, numbers and dictionaries of them cannot fail; a value that can gets a 500.
        guard var body = try? encoder.encode(value) else {
            return text("{\"error\":\"cannot encode the response\"}\n", status: .internalServerError, contentType: "application/json")
        }
        body.append(0x0A)
        return data(body, status: status, contentType: "application/json")
    }

    public static func data(_ data: Data, status: HTTPResponse.Status = .ok, contentType: String = "application/octet-stream",
                            extraHeaders: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: contentType, .contentLength: "\(data.count)"]
        headers.append(contentsOf: extraHeaders)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
