import XCTest
@testable import FrameCompute
import FrameStorage

final class ParserTests: XCTestCase {
  func testPythonPrecedence() throws {
    XCTAssertEqual(try Parser.parse("-x**2"), .unary(.negate, .binary(.power, .column("x"), .literal(.int(2)))))
    XCTAssertEqual(try Parser.parse("2**-1"), .binary(.power, .literal(.int(2)), .literal(.int(-1))))
    XCTAssertEqual(try Parser.parse("a + b * c"), .binary(.add, .column("a"), .binary(.multiply, .column("b"), .column("c"))))
    // Comparisons bind looser than &, as in Python.
    XCTAssertEqual(try Parser.parse("x > 1 & y"), .binary(.greater, .column("x"), .binary(.and, .literal(.int(1)), .column("y"))))
    XCTAssertEqual(try Parser.parse("a < b < c"),
                   .binary(.and, .binary(.less, .column("a"), .column("b")), .binary(.less, .column("b"), .column("c"))))
    XCTAssertEqual(try Parser.parse("2 ** 3 ** 2"), .binary(.power, .literal(.int(2)), .binary(.power, .literal(.int(3)), .literal(.int(2)))))
    XCTAssertEqual(try Parser.parse("`my col` // 2"), .binary(.floorDivide, .column("my col"), .literal(.int(2))))
    XCTAssertEqual(try Parser.parse("where(x > 0, 1.5e3, -inf)"),
                   .call("where", [.binary(.greater, .column("x"), .literal(.int(0))), .literal(.float(1500)), .literal(.float(-.infinity))]))
  }

  func testMalformedExpressionsAreErrors() {
    for bad in ["", "x +", "(x", "x)", "x $ y", "f(x,", "1 2", "`x", "'abc", "99999999999999999999999"] {
      XCTAssertThrowsError(try Parser.parse(bad), bad) { error in
        XCTAssertEqual((error as? SFError)?.code, .expression, bad)
      }
    }
    // Deep nesting is refused instead of exhausting the stack.
    XCTAssertThrowsError(try Parser.parse(String(repeating: "(", count: 100_000) + "x"))
    XCTAssertThrowsError(try Parser.parse(String(repeating: "-", count: 100_000) + "x"))
  }
}
