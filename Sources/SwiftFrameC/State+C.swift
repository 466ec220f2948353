#if canImport(Glibc)
import Glibc
#endif
import CSwiftFrame
import SwiftFrame

@_cdecl("sf_frame_state_get")
public func sfFrameStateGet(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    out.pointee = strdup(f.stateJSON())
  }
}

@_cdecl("sf_frame_state_set")
public func sfFrameStateSet(_ handle: OpaquePointer?, _ json: UnsafePointer<CChar>?, _ flags: Int32) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), text = try string(json, "json")
    try f.setState(json: text, useActiveRange: flags & Int32(SF_STATE_ACTIVE_RANGE) != 0)
  }
}

@_cdecl("sf_frame_rename")
public func sfFrameRename(_ handle: OpaquePointer?, _ old: UnsafePointer<CChar>?, _ new: UnsafePointer<CChar>?) -> Int32 {
  boundary { () throws(SFError) in
    try frame(handle).rename(try string(old, "old"), try string(new, "new"))
  }
}
