// libFuzzer target: the Arrow IPC reader (file and stream formats) through sf_frame_open.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  withScratchFile(UnsafeRawBufferPointer(start: data, count: size), suffix: ".arrow") { openAndScan($0) }
  return 0
}
