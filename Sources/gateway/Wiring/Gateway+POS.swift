import CRMStore
import Foundation
import GatewayCore
import POSIngest

extension Gateway {
    /// The POS listener of `gateway run`: one HTTP server for every POS source whose driver is a
    /// listener format (`poslog`, `square`, `shopify`), their drop folders, and the idempotency
    /// ledger at `<dataDir>/pos-ledger`, and the `customer.consent` input (`crm.consent`); `nil` when
    /// there is nothing to serve.
    func makePOSListener(formats: [String: any POSDocumentFormat]) throws -> POSListenerService? {
        var sources: [POSSource] = []
        var sourcePaths: [String: String] = [:]
        for sink in transactionSinks {
            guard let format = formats[sink.source.name],
                  let index = config.sources.firstIndex(where: { $0.name == sink.source.name }) else { continue }
            let source = config.sources[index]
            // A relative drop folder is relative to the working directory, like the data folder.
            let options = try POSSourceOptions(source: source, format: format)
            sources.append(POSSource(format: format, options: options, sink: sink))
            sourcePaths[source.name] = source.path.isEmpty ? "sources[\(index)]" : source.path
        }
        let routes = config.crm.consent.enabled ? [consentRoute()] : []
        guard !sources.isEmpty || !routes.isEmpty else { return nil }
        let ledger: POSLedger
        do {
            ledger = try POSLedger(path: config.dataPath("pos-ledger"), retention: config.pos.ledgerRetention, logger: logger)
        } catch {
            throw CLIError(error.message)
        }
        return try POSListenerService(configuration: config.pos, sources: sources, ingestor: POSIngestor(ledger: ledger, commitTimeout: config.pos.commitTimeout, logger: logger),
                                      sourcePaths: sourcePaths, routes: routes, logger: logger)
    }

    /// `POST /crm/consent`: consent decisions from another system, recorded like `gateway consent`
    /// (source `http`); the matcher applies them at its next master-data reload.
    func consentRoute() -> IntakeRoute {
        let database = self.database
        let logger = self.logger
        let input = config.crm.consent
        return IntakeRoute(name: "the customer.consent input", path: input.path, token: input.token) { body in
            do throws(CRMStoreError) {
                let outcome = try ConsentInput.apply(body, to: database)
                // The reasons name customer ids: they go back to the sender, not into the log.
                if outcome.rejected > 0 { logger.warning("customer.consent: \(outcome.rejected) refused (the answer says why)") }
                return IntakeReply(status: 200, outcome)
            } catch {
                logger.warning("customer.consent: request refused: \(error.message)")
                // An unreadable body is the sender's to fix; anything else is the store's, and worth a retry.
                return IntakeReply(status: error.code == .invalidInput ? 400 : 503, ["error": error.message, "code": error.code.name])
            }
        }
    }
}

