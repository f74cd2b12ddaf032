import AsyncHTTPClient
import Foundation
import NIOCore
import POSIngest

/// Square's Orders API as the webhook format needs it: `RetrieveOrder`, `GET /v2/orders/{order_id}`.
///
/// Square's own `order.created` / `order.updated` notifications carry only a summary of the order;
/// the lines, tenders and totals are fetched here. Failures are sorted by what a retry can do:
/// the network, a timeout, 408, 429 and 5xx are `unavailable` (the webhook answers 503, Square
/// retries the delivery later); a refusal (401, 403, 404, any other 4xx) or an answer that is not
/// JSON is `upstream` (502), with the order id and Square's own error code and detail.
struct SquareOrdersAPI: Sendable {
    /// `https://connect.squareup.com` or a stand-in, without a trailing slash.
    let baseURL: String
    /// The bearer token (a personal access token or the seller's OAuth token).
    let accessToken: String
    /// The `Square-Version` header: the API version whose Order shape is read.
    let version: String
    /// The longest a fetch may take, connection, answer and body together.
    let timeout: Duration
    /// Where the token comes from, for messages (`sources[2].options.accessToken`).
    let accessTokenPath: String
    let client: HTTPClient

    /// An Order is a few kilobytes; a much larger answer is not one.
    static let maxAnswerBytes = 8 << 20

    /// What came back, or why nothing did.
    private enum Attempt: Sendable {
        case answer(status: Int, contentType: String?, body: [UInt8])
        case failed(String)
        case timedOut
    }

    /// The URL of order `id`; the id is percent-encoded so it can only ever be one path segment.
    func url(of id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        return "\(baseURL)/v2/orders/\(id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id)"
    }

    /// Fetches order `id` and returns the raw JSON answer (`{"order": {…}}`), for the caller to decode
    /// with key paths in its errors.
    /// - Throws: ``POSIngestError`` `unavailable` or `upstream`, naming the order and the cause.
    func retrieveOrder(_ id: String) async throws(POSIngestError) -> [UInt8] {
        var request = HTTPClientRequest(url: url(of: id))
        request.method = .GET
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
        request.headers.add(name: "Square-Version", value: version)
        request.headers.add(name: "Accept", value: "application/json")
        let (client, timeout, prepared) = (self.client, self.timeout, request)
        let milliseconds = timeout.components.seconds * 1_000 + timeout.components.attoseconds / 1_000_000_000_000_000
        // The client's deadline covers the request up to the answer's head only; the race with a
        // sleep bounds the body too, so a stalled answer cannot outlast Square's 10 s webhook wait.
        let attempt = await withTaskGroup(of: Attempt.self) { group in
            group.addTask {
                do {
                    let response = try await client.execute(prepared, timeout: .milliseconds(milliseconds))
                    let body = try await response.body.collect(upTo: Self.maxAnswerBytes)
                    return .answer(status: Int(response.status.code), contentType: response.headers.first(name: "content-type"),
                                   body: Array(body.readableBytesView))
                } catch {
                    if let error = error as? HTTPClientError, error == .deadlineExceeded { return .timedOut }
                    if error is NIOTooManyBytesError { return .failed("the answer is larger than \(Self.maxAnswerBytes) bytes") }
                    return .failed("\(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
        let place = "Square order \(id) from \(baseURL)"
        switch attempt {
        case .timedOut:
            throw POSIngestError(.unavailable, "cannot fetch \(place): no answer within \(timeout) (apiTimeout); Square retries the delivery")
        case .failed(let cause):
            throw POSIngestError(.unavailable, "cannot fetch \(place): \(cause); Square retries the delivery")
        case .answer(let status, let contentType, let body):
            switch status {
            case 200..<300:
                if let contentType, !contentType.lowercased().contains("json") {
                    throw POSIngestError(.upstream, "cannot read \(place): the answer is \(contentType), not JSON (a proxy in between?)")
                }
                return body
            case 408, 429, 500...:
                throw POSIngestError(.unavailable, "cannot fetch \(place): \(Self.describe(status, body)); Square retries the delivery")
            case 401, 403:
                throw POSIngestError(.upstream, "cannot fetch \(place): Square refused the access token (\(accessTokenPath)): "
                    + "\(Self.describe(status, body))")
            case 404:
                throw POSIngestError(.upstream, "cannot fetch \(place): Square has no such order (\(Self.describe(status, body))); "
                    + "is the access token (\(accessTokenPath)) the notifying seller's, and production or sandbox like the subscription?")
            default:
                throw POSIngestError(.upstream, "cannot fetch \(place): Square refused the request: \(Self.describe(status, body))")
            }
        }
    }

    /// `401 UNAUTHORIZED (AUTHENTICATION_ERROR): This request could not be authorized.` from Square's
    /// error answer (`{"errors":[{category, code, detail}]}`); the bare status when the body is not one.
    static func describe(_ status: Int, _ body: [UInt8]) -> String {
        struct Answer: Decodable {
            struct Item: Decodable {
                var category: String?
                var code: String?
                var detail: String?
            }
            var errors: [Item]?
        }
        guard let first = (try? JSONDecoder().decode(Answer.self, from: Data(body)))?.errors?.first else { return "HTTP \(status)" }
        var text = "HTTP \(status)"
        if let code = first.code { text += " \(code)" }
        if let category = first.category { text += " (\(category))" }
        if let detail = first.detail { text += ": \(detail.prefix(300))" }
        return text
    }
}
