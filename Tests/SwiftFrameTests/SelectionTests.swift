import XCTest
import SwiftFrame

/// Named selections in the frame's state, against reference loops.
final class SelectionTests: XCTestCase {
  func testNamedSelectionsModesAndDerivations() throws {
    let x = (0..<40_000).map { Double($0 % 100) - 50 }
    let df = try DataFrame([("x", x)])
    try df.select("x > 0", name: "hot")
    XCTAssertEqual(try df.count(selection: "hot"), Int64(x.filter { $0 > 0 }.count))
    try df.select("x > 25", name: "hot", mode: .subtract)
    let want = Int64(x.filter { $0 > 0 && !($0 > 25) }.count)
    XCTAssertEqual(try df.count(selection: "hot"), want)
    XCTAssertEqual(df.selection(named: "hot"), "(x > 0) & ~(x > 25)")
    // Copies, filters, column subsets and slices keep it; concat of equal frames too.
    XCTAssertEqual(try df.copy().count(selection: "hot"), want)
    XCTAssertEqual(try df.filtered("x < 10").count(selection: "hot"), Int64(x.filter { $0 > 0 && $0 < 10 }.count))
    XCTAssertEqual(try df.selecting(columns: ["x"]).count(selection: "hot"), want)
    XCTAssertEqual(try df.slice(0..<100).count(selection: "hot"), 25)
    XCTAssertEqual(try DataFrame.concat([df, df.copy()]).count(selection: "hot"), 2 * want)
    df.clearSelection(name: "hot")
    XCTAssertNil(df.selection(named: "hot"))
    XCTAssertThrowsError(try df.count(selection: "hot")) { error in
      XCTAssertEqual((error as? SFError)?.code, .name)
    }
    XCTAssertThrowsError(try df.select("x + 1", name: "bad")) { error in
      XCTAssertEqual((error as? SFError)?.code, .type)
    }
  }
}
