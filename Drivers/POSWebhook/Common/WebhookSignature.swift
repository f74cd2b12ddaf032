import Crypto
import Foundation
import POSIngest

/// HMAC-SHA256 signatures as Square and Shopify send them: base64 of the MAC in a header.
struct WebhookSignature: Sendable {
    /// The shared secret (Square's signature key, Shopify's app secret), as UTF-8 bytes: that is how
    /// both providers' reference code keys the HMAC. Kept as bytes: `SymmetricKey` is not `Sendable`.
    let secret: [UInt8]
    /// The header carrying the signature, lower case.
    let header: String

    init(secret: String, header: String) {
        self.secret = Array(secret.utf8)
        self.header = header
    }

    /// Checks the header against the MAC of `signed`; throws `unauthorized` naming what was wrong.
    ///
    /// The comparison is swift-crypto's, which runs in constant time, so a caller cannot learn the
    /// MAC byte by byte from response timings.
    func verify(_ request: POSRequest, signed: [UInt8]) throws(POSIngestError) {
        guard let text = request.headers[header]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            throw POSIngestError(.unauthorized, "missing \(header) header: the request is not signed")
        }
        guard let mac = Data(base64Encoded: text), mac.count == SHA256.byteCount else {
            throw POSIngestError(.unauthorized, "\(header) is not a base64 HMAC-SHA256 value")
        }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: SymmetricKey(data: secret)) else {
            throw POSIngestError(.unauthorized, "\(header) does not match the body: wrong secret, altered body or (Square) a different notification URL")
        }
    }

    /// The base64 signature of `signed`; for tests and tools that sign requests.
    static func sign(_ signed: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
        return Data(mac).base64EncodedString()
    }
}
