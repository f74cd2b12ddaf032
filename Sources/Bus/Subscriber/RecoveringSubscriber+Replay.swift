import GatewayCore
import Logging

/// The recovery half of ``RecoveringSubscriber``: deciding what to ask replay, and taking its answers.
extension RecoveringSubscriber {
    /// How long a gateway's recovery waits for some replay endpoint to say it serves the gateway.
    private var patience: Duration { replayTimeout * (replayAttempts + 1) }

    /// Starts the `info` requests and the replays that are due, and gives up on recoveries that cannot start.
    func schedule(now: ContinuousClock.Instant) {
        for client in clients where client.isIdle && now >= client.nextInfoAt {
            if let gateway = client.gateway {
                // A quiet gateway may have refused the end of a burst; its last seq shows whether anything is missing.
                guard let state = gateways[gateway], !state.needsRecovery, state.lastHeard.duration(to: now) >= tailCheckInterval else { continue }
                client.nextInfoAt = now + tailCheckInterval
            }
            askInfo(client)
        }
        for gateway in gateways.keys {
            guard var state = gateways[gateway] else { continue }
            defer { gateways[gateway] = state }
            if state.catchUp, let first = state.held.first, first.seq <= state.last + 1 {
                // The live stream already continues from the cursor: nothing to catch up.
                state.catchUp = false
                release(&state)
            }
            guard state.needsRecovery else {
                state.waitingSince = nil
                continue
            }
            if let retryAt = state.retryAt, now < retryAt { continue }
            if let client = clients.first(where: { $0.gateway == gateway }) {
                state.waitingSince = nil
                guard client.isIdle else { continue }
                let to = state.held.first.map { $0.seq - 1 }
                do {
                    try client.send(.replay(gateway: gateway, from: state.last + 1, to: to))
                    state.retryAt = nil
                } catch {
                    recoveryFailed(gateway, &state, reason: "cannot send to \(client.source.replay): \(error)", retryAfter: replayTimeout)
                }
            } else if clients.allSatisfy({ $0.gateway != nil }) {
                abandon(gateway, &state, reason: "no replay endpoint serves gateway \(gateway)")
            } else {
                let since = state.waitingSince ?? now
                state.waitingSince = since
                if since.duration(to: now) >= patience {
                    abandon(gateway, &state, reason: "no reachable replay endpoint serves gateway \(gateway)")
                }
            }
        }
    }

    /// Asks `client` which gateway it serves.
    func askInfo(_ client: ReplayClient) {
        do {
            try client.send(.info)
        } catch {
            infoFailed(client, reason: "\(error)")
        }
    }

    /// Takes one answer to `client`'s request.
    func handle(_ answer: ReplayClient.Answer, from client: ReplayClient) {
        guard let request = client.request else { return }
        if client.reportedDown {
            client.reportedDown = false
            logger.info("bus replay endpoint \(client.source.replay) answers again", metadata: ["bus.replay": "\(client.source.replay)"])
        }
        switch (request.ask, answer) {
        case (.info, .info(let header)):
            client.finish()
            client.infoFailures = 0
            learn(header.gateway, from: client, lastSeq: header.lastSeq)
        case (.replay(let gateway, _, let to), .batch(let header, let bodies)):
            guard header.gateway == gateway else {
                return reportMalformed("a batch of gateway \(header.gateway) answering a replay of \(gateway)")
            }
            take(bodies, of: gateway, through: to ?? .max)
        case (.replay(let gateway, _, let to), .end(let header)):
            client.finish()
            guard var state = gateways[gateway] else { return }
            // Every journalled event up to here was sent; one still missing is not in the journal.
            let target = to ?? header.to
            if state.last < target {
                giveUp(gateway, from: state.last + 1, to: target, in: &state,
                       reason: "the journal behind \(client.source.replay) does not hold them")
            }
            state.catchUp = false
            state.failures = 0
            release(&state)
            gateways[gateway] = state
        case (.replay(let gateway, _, let to), .error(let header)):
            client.finish()
            refused(header, gateway: gateway, to: to, client: client)
        case (.info, .error(let header)):
            client.finish()
            infoFailed(client, reason: "\(header.code.rawValue): \(header.message)")
        case (_, .malformed(let reason)):
            reportMalformed("replay answer from \(client.source.replay): \(reason)")
        default:
            reportMalformed("replay answer from \(client.source.replay) does not fit the request")
        }
    }

    /// Takes the events of a batch, in order, up to `to`.
    private func take(_ bodies: ArraySlice<[UInt8]>, of gateway: String, through to: UInt64) {
        guard var state = gateways[gateway] else { return }
        state.failures = 0
        state.lastHeard = .now
        for body in bodies {
            receivedCount.add(1, ordering: .relaxed)
            let event: GatewayEvent
            do {
                event = try codec.decode(body: body)
            } catch {
                reportMalformed("replayed body: \(error.code): \(error.message)")
                continue
            }
            guard event.gateway == gateway else {
                reportMalformed("a replayed event of gateway \(event.gateway) in a replay of \(gateway)")
                continue
            }
            guard event.seq > state.last, event.seq <= to else {
                duplicateCount.add(1, ordering: .relaxed)
                continue
            }
            if event.seq > state.last + 1 {
                // The journal is read in order, so a skipped seq is not in it.
                giveUp(gateway, from: state.last + 1, to: event.seq - 1, in: &state, reason: "the journal does not hold them")
            }
            accept(event, into: &state, replayed: true)
        }
        release(&state)
        gateways[gateway] = state
    }

    /// Takes an `error` answer to a replay.
    private func refused(_ header: ReplayProtocol.ErrorHeader, gateway: String, to: UInt64?, client: ReplayClient) {
        guard var state = gateways[gateway] else { return }
        defer { gateways[gateway] = state }
        switch header.code {
        case .retention:
            guard let oldest = header.oldest, oldest > state.last + 1 else {
                return recoveryFailed(gateway, &state, reason: "retention: \(header.message)", retryAfter: replayTimeout)
            }
            let lostEnd = min(oldest - 1, to ?? .max)
            if state.implicitStart && state.last == 0 {
                // Nothing was ever applied from this gateway, so what it no longer keeps was never ours to lose.
                logger.info("bus gateway \(gateway) starts at seq \(oldest), the oldest its journal keeps", metadata: ["bus.gateway": "\(gateway)"])
                state.last = lostEnd
            } else {
                giveUp(gateway, from: state.last + 1, to: lostEnd, in: &state, reason: "its journal keeps events from seq \(oldest) only")
            }
            state.failures = 0
            release(&state)
        case .unknownGateway:
            logger.warning("bus replay endpoint \(client.source.replay) does not serve gateway \(gateway); asking it again", metadata: [
                "bus.gateway": "\(gateway)", "bus.replay": "\(client.source.replay)",
            ])
            client.gateway = nil
            client.nextInfoAt = .now
        case .busy, .journal, .badRequest:
            recoveryFailed(gateway, &state, reason: "\(header.code.rawValue): \(header.message)", retryAfter: replayTimeout / 2)
        }
    }

    /// A request had no answer in time: reconnect, and retry or give up.
    func timedOut(_ client: ReplayClient) {
        guard let request = client.request else { return }
        client.abandon()
        switch request.ask {
        case .info:
            infoFailed(client, reason: "no answer within \(replayTimeout)")
        case .replay(let gateway, _, _):
            guard var state = gateways[gateway] else { return }
            recoveryFailed(gateway, &state, reason: "\(client.source.replay) did not answer within \(replayTimeout)", retryAfter: .zero)
            gateways[gateway] = state
        }
    }

    /// Takes an `info` answer: which gateway the endpoint serves, and how far its journal goes.
    private func learn(_ gateway: String, from client: ReplayClient, lastSeq: UInt64) {
        if client.gateway != gateway {
            if let other = clients.first(where: { $0 !== client && $0.gateway == gateway }) {
                logger.warning("bus replay endpoints \(other.source.replay) and \(client.source.replay) both serve gateway \(gateway); using the first",
                               metadata: ["bus.gateway": "\(gateway)"])
                return
            }
            client.gateway = gateway
            logger.debug("bus replay endpoint serves gateway", metadata: ["bus.replay": "\(client.source.replay)", "bus.gateway": "\(gateway)"])
            if gateways[gateway] == nil, start == .oldest {
                gateways[gateway] = newGateway(gateway, firstLive: nil)
            }
        }
        guard var state = gateways[gateway] else { return }
        if lastSeq < state.last && !state.implicitStart && !state.reportedReset {
            // Its seqs now collide with those applied here: every event up to `last` would pass for a duplicate.
            state.reportedReset = true
            logger.error("bus gateway \(gateway)'s journal ends at seq \(lastSeq), below seq \(state.last) applied here: was it reset?",
                         metadata: ["bus.gateway": "\(gateway)", "bus.replay": "\(client.source.replay)"])
        }
        if lastSeq > state.last && !state.needsRecovery {
            logger.info("bus gateway \(gateway) is at seq \(lastSeq), ahead of \(state.last) here: catching up from replay", metadata: [
                "bus.gateway": "\(gateway)", "bus.missingFrom": "\(state.last + 1)", "bus.missingTo": "\(lastSeq)",
            ])
            state.catchUp = true
        }
        gateways[gateway] = state
    }

    private func infoFailed(_ client: ReplayClient, reason: String) {
        client.infoFailures += 1
        if client.infoFailures >= replayAttempts {
            client.infoFailures = 0
            client.nextInfoAt = .now + patience
            // Once per outage: a gateway that is switched off must not fill the log.
            if !client.reportedDown {
                client.reportedDown = true
                logger.warning("bus replay endpoint \(client.source.replay) does not answer; gaps of its gateway cannot be filled until it does",
                               metadata: ["bus.replay": "\(client.source.replay)", "reason": "\(reason)"])
            }
        } else {
            client.nextInfoAt = .now
        }
    }

    /// Counts a failed try of a gateway's recovery; the last allowed one gives the recovery up.
    private func recoveryFailed(_ gateway: String, _ state: inout GatewayState, reason: String, retryAfter: Duration) {
        state.failures += 1
        if state.failures >= replayAttempts {
            abandon(gateway, &state, reason: "\(reason), \(replayAttempts) attempts")
        } else {
            logger.debug("bus replay retry", metadata: ["bus.gateway": "\(gateway)", "bus.attempt": "\(state.failures + 1)", "reason": "\(reason)"])
            state.retryAt = .now + retryAfter
        }
    }

    /// Gives a recovery up: the range before the held events is lost, and they are delivered.
    private func abandon(_ gateway: String, _ state: inout GatewayState, reason: String) {
        if let first = state.held.first, first.seq > state.last + 1 {
            giveUp(gateway, from: state.last + 1, to: first.seq - 1, in: &state, reason: reason)
        } else if state.catchUp {
            // Nothing shows yet what is missing; the next live event's gap does, and is recovered or reported then.
            logger.error("bus cannot catch up gateway \(gateway) after seq \(state.last) (\(reason))", metadata: [
                "bus.gateway": "\(gateway)", "bus.lostFrom": "\(state.last + 1)", "reason": "\(reason)",
            ])
        }
        state.catchUp = false
        state.failures = 0
        state.retryAt = nil
        state.waitingSince = nil
        release(&state)
    }
}
