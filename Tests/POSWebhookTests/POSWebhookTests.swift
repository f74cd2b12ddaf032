import Testing
@testable import POSWebhook
