#if canImport(Glibc)
import Glibc
#endif
import CSwiftFrame
import SwiftFrame

@_cdecl("sf_frame_select")
public func sfFrameSelect(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ expression: UnsafePointer<CChar>?,
                          _ mode: Int32) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), n = try string(name, "name"), e = try string(expression, "expression")
    guard let m = SelectionMode(rawValue: mode) else { throw .argument("unknown selection mode \(mode)") }
    try f.select(e, name: n, mode: m)
  }
}

@_cdecl("sf_frame_select_nothing")
public func sfFrameSelectNothing(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> Int32 {
  boundary { () throws(SFError) in
    try frame(handle).clearSelection(name: try string(name, "name"))
  }
}

@_cdecl("sf_frame_selections_json")
public func sfFrameSelectionsJSON(_ handle: OpaquePointer?,
                                  _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    out.pointee = strdup(f.selectionsJSON())
  }
}
