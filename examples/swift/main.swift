// swiftframe-stats: the mean of a virtual column under a filter, from Swift.
//
//   usage: swiftframe-stats FILE.arrow [XCOL [YCOL]]   (XCOL and YCOL default to x and y)
//
// The Swift twin of examples/c/stats.c: opens an Arrow IPC file without reading
// it, adds the virtual column r = sqrt(XCOL**2 + YCOL**2), keeps the rows where
// YCOL > 0 and prints how many rows passed and the mean of r over them. On any
// error (missing file, unknown column, bad expression) it prints the engine's
// message to stderr and exits with status 1.
//
//   swift build -c release --product swiftframe-stats
//   .build/release/swiftframe-stats data.arrow
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftFrame

func printError(_ message: String) {
  fputs("swiftframe-stats: \(message)\n", stderr)
}

/// Runs one step; on an error prints what failed with the engine's message and exits 1.
func step<T>(_ what: String, _ body: () throws(SFError) -> T) -> T {
  do {
    return try body()
  } catch {
    printError("\(what): \(error.message)")
    exit(1)
  }
}

let arguments = CommandLine.arguments
guard (2...4).contains(arguments.count) else {
  printError("usage: swiftframe-stats FILE.arrow [XCOL [YCOL]]")
  exit(2)
}
let path = arguments[1]
let x = arguments.count > 2 ? arguments[2] : "x"
let y = arguments.count > 3 ? arguments[3] : "y"
let radius = "sqrt(\(x)**2 + \(y)**2)"
let filter = "\(y) > 0"

// Map the file: no column data is read yet.
let df = step(path) { () throws(SFError) in try DataFrame.open(path) }
// A virtual column costs nothing until a pass; its expression is checked now.
step("adding r") { () throws(SFError) in try df.addVirtualColumn("r", radius) }
// A filtered frame shares the data; it too reads nothing.
let positive = step("filtering") { () throws(SFError) in try df.filtered(filter) }
// The passes: the mean of r over the rows that pass, and how many there are.
let mean = step("computing the mean") { () throws(SFError) in try positive.mean("r") }
let rows = step("counting rows") { () throws(SFError) in try positive.length() }

print("file: \(path)")
print("r = \(radius)")
print("filter: \(filter)")
print("rows: \(rows)")
print("mean(r) = \(mean)")
