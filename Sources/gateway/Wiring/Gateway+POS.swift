import Foundation
import GatewayCore
import POSIngest

extension Gateway {
    /// The POS listener of `gateway run`: one HTTP server for every POS source whose driver is a
    /// listener format (`poslog`, `square`, `shopify`), their drop folders, and the idempotency
    /// ledger at `<dataDir>/pos-ledger`; `nil` when no source uses a listener format.
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
        guard !sources.isEmpty else { return nil }
        let ledger: POSLedger
        do {
            ledger = try POSLedger(path: config.dataPath("pos-ledger"), retention: config.pos.ledgerRetention, logger: logger)
        } catch {
            throw CLIError(error.message)
        }
        return try POSListenerService(configuration: config.pos, sources: sources, ingestor: POSIngestor(ledger: ledger, logger: logger),
                                      sourcePaths: sourcePaths, logger: logger)
    }
}

