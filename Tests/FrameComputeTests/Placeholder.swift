import XCTest
final class PlaceholderFrameComputeTests: XCTestCase { func testNothing() {} }
