import XCTest
final class PlaceholderFrameStorageTests: XCTestCase { func testNothing() {} }
