// libFuzzer target: the HDF5 opener (vaex's layout) through sf_frame_open. Inputs that
// lack HDF5's signature go to the Arrow reader, so the fuzzer keeps the signature.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
  guard size >= 8, (0..<8).allSatisfy({ data[$0] == signature[$0] }) else { return -1 }
  withScratchFile(UnsafeRawBufferPointer(start: data, count: size), suffix: ".hdf5") { openAndScan($0) }
  return 0
}
