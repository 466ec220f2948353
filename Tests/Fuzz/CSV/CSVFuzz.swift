// libFuzzer target: the CSV reader (sf_csv_convert to Arrow, then open and scan the
// result). Small blocks and a small type sample so that block boundaries and type
// widening (the conversion restarting) are reached by small inputs.
import CSwiftFrame
import FuzzSupport
import Glibc

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  withScratchFile(UnsafeRawBufferPointer(start: data, count: size), suffix: ".csv") { csv in
    let arrow = csv + ".arrow"
    let options = #"{"block_size": 256, "sample_rows": 4, "threads": 1}"#
    if sf_csv_convert(csv, arrow, options, nil, nil) == SF_OK {
      openAndScan(arrow, light: true)
      unlink(arrow)
    }
  }
  return 0
}
