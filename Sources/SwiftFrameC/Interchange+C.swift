import CSwiftFrame
import SwiftFrame

// Arrow C Data Interface entry points: argument conversion only; the work is in
// SwiftFrame/InterchangeExport.swift and InterchangeImport.swift.

@_cdecl("sf_frame_export_arrow")
public func sfFrameExportArrow(_ handle: OpaquePointer?, _ n: Int32, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                               _ expressions: UnsafePointer<UnsafePointer<CChar>?>?, _ maxRows: Int64, _ flags: Int32,
                               _ out: UnsafeMutablePointer<ArrowArrayStream>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    guard n >= 0 else { throw .argument("negative column count \(n)") }
    var columns: [(name: String, expression: String)]? = nil
    if n > 0 {
      guard let names, let expressions else { throw .argument("names or expressions is NULL") }
      columns = []
      for i in 0..<Int(n) {
        columns!.append((try string(names[i], "names[\(i)]"), try string(expressions[i], "expressions[\(i)]")))
      }
    }
    try f.exportArrow(columns: columns, maxRows: maxRows > 0 ? Int(maxRows) : arrowBatchRows,
                      copy: flags & Int32(SF_ARROW_COPY) != 0, into: out)
  }
}

@_cdecl("sf_frame_from_arrow_stream")
public func sfFrameFromArrowStream(_ stream: UnsafeMutablePointer<ArrowArrayStream>?,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    guard let stream else { throw .argument("stream is NULL") }
    guard let out else {
      // Ownership is taken whatever the status.
      if let release = stream.pointee.release { release(stream) }
      throw .argument("output pointer out is NULL")
    }
    out.pointee = retained(try DataFrame.importArrow(stream: stream))
  }
}

@_cdecl("sf_arrow_live_exports")
public func sfArrowLiveExports() -> Int64 { Int64(arrowLiveExports.load(ordering: .relaxed)) }

@_cdecl("sf_arrow_live_imports")
public func sfArrowLiveImports() -> Int64 { Int64(arrowLiveImports.load(ordering: .relaxed)) }
