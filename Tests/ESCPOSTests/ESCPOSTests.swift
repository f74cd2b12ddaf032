import Testing
@testable import ESCPOS
