import CSwiftFrame
import SwiftFrame

@_cdecl("sf_frame_take")
public func sfFrameTake(_ handle: OpaquePointer?, _ indices: UnsafePointer<Int64>?, _ n: Int64,
                        _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    guard n >= 0, n == 0 || indices != nil else { throw .argument("indices is NULL or n is negative") }
    let positions = UnsafeBufferPointer(start: indices, count: Int(n))
    out.pointee = retained(try f.take(positions, progress: progressHandler(progress, ctx)))
  }
}

@_cdecl("sf_frame_sort")
public func sfFrameSort(_ handle: OpaquePointer?, _ n: Int32, _ keys: UnsafePointer<UnsafePointer<CChar>?>?,
                        _ ascending: UnsafePointer<UInt8>?, _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    guard n > 0, let ascending else { throw .argument("ascending is NULL, or n is not positive") }
    let names = try strings(n, keys, "keys")
    let flags = (0..<Int(n)).map { ascending[$0] != 0 }
    out.pointee = retained(try f.sorted(by: names, ascending: flags, progress: progressHandler(progress, ctx)))
  }
}
