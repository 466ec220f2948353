// libFuzzer target: the expression parser, type checker and evaluator. The input is an
// expression's text; it is checked against a small frame of every dtype (the Arrow file
// named by SWIFTFRAME_FUZZ_FRAME, which .ci/fuzz passes), and when it type-checks it is
// evaluated, aggregated, grouped by and used as a filter.
import CSwiftFrame
import FuzzSupport
import Foundation

let framePath: String = {
  guard let path = ProcessInfo.processInfo.environment["SWIFTFRAME_FUZZ_FRAME"] else {
    fatalError("set SWIFTFRAME_FUZZ_FRAME to Tests/Fuzz/corpus/expression-frame.arrow (.ci/fuzz does)")
  }
  return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let bytes = UnsafeBufferPointer(start: data, count: size)
  let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
  // Opened per input, so that libFuzzer's leak check sees everything released.
  var opened: OpaquePointer?
  guard sf_frame_open(framePath, &opened) == SF_OK, let frame = opened else {
    fatalError("cannot open \(framePath): \(String(cString: sf_last_error()))")
  }
  defer { sf_frame_release(frame) }
  var length: Int64 = 0
  _ = sf_frame_length(frame, nil, nil, &length)
  exercise(frame, text, length: length)
  var filtered: OpaquePointer?
  if sf_frame_filter(frame, text, &filtered) == SF_OK, let filtered {
    var n: Int64 = 0
    if sf_frame_length(filtered, nil, nil, &n) == SF_OK { scan(filtered) }
    sf_frame_release(filtered)
  }
  return 0
}
