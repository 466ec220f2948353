import XCTest
@testable import FrameCompute

/// Renaming column references in expression text and in parsed nodes (a join's suffixes).
final class RenameTests: XCTestCase {
  func testRenamesColumnsButNotFunctionsLiteralsOrStrings() throws {
    let names = ["x": "x_r", "sqrt": "no", "a b": "a b_r", "y": "y r"]
    XCTAssertEqual(try renamingColumns("sqrt(x) + `a b` * xx - 'x' + y", names), "sqrt(x_r) + `a b_r` * xx - 'x' + `y r`")
    XCTAssertEqual(try renamingColumns("where(x > 1, True, nan)", ["x": "é"]), "where(é > 1, True, nan)")
    XCTAssertEqual(try renamingColumns("x", [:]), "x")
  }

  func testRenamedNodesParseLikeRenamedText() throws {
    let names = ["x": "x_r", "y": "x"]  // one step: y becomes x, x becomes x_r, never chained
    let text = "x + y * 2 - abs(x)"
    XCTAssertEqual(try Parser.parse(text).renamed(names), try Parser.parse(renamingColumns(text, names)))
    XCTAssertEqual(Node.storedField(2).renamed([:], shift: 3), .storedField(5))
  }
}
