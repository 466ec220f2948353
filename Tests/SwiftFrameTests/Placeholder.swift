import XCTest
final class PlaceholderSwiftFrameTests: XCTestCase { func testNothing() {} }
