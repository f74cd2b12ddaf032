import Testing
@testable import POSLog
