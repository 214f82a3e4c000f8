public import Hummingbird
import Metrics

/// Records each HTTP request's duration, until its body is written, in the service's own
/// registry: the histogram ``requestDurationMetric`` labelled by route pattern, method and status.
///
/// Hummingbird's `MetricsMiddleware` does the same but only through swift-metrics' global
/// `MetricsSystem`, which one process may bootstrap once; tests run several services in one
/// process, so this one takes the service's factory instead.
public struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The histogram of request time, in seconds.
    public static var requestDurationMetric: String { "ferry_http_request_duration_seconds" }

    let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            var response = try await next(request, context)
            let timer = self.timer(request, context, response.status)
            let body = response.body
            // A chunk or file body streams after the handler returns: the request ends when it is written.
            response.body = ResponseBody(contentLength: body.contentLength) { writer in
                defer { timer.record(duration: started.duration(to: .now)) }
                try await body.write(writer)
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            timer(request, context, status).record(duration: started.duration(to: .now))
            throw error
        }
    }

    /// The route's pattern (`/chunks/{hash}`), never the path itself: paths hold hashes and
    /// names, which would make a series per request.
    private func timer(_ request: Request, _ context: Context, _ status: HTTPResponse.Status) -> Timer {
        Timer(label: Self.requestDurationMetric,
              dimensions: [("route", context.endpointPath ?? "unmatched"), ("method", request.method.rawValue),
                           ("status", String(status.code))],
              preferredDisplayUnit: .seconds, factory: factory)
    }
}
