import CSwiftFrame
import SwiftFrame
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("sf_frame_dictionary")
public func sfFrameDictionary(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ count: UnsafeMutablePointer<Int64>?,
                              _ offsets: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                              _ valid: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                              _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                              _ dataLength: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), n = try string(name, "name"), count = try output(count, "count")
    let offsets = try output(offsets, "offsets"), valid = try output(valid, "valid")
    let data = try output(data, "data"), dataLength = try output(dataLength, "data_length")
    guard let words = try f.sharedDictionaryStrings(n) else {
      count.pointee = -1
      return
    }
    let offsetBytes = words.offsets.withUnsafeBytes { [UInt8]($0) }
    let o = try copyToMalloc(offsetBytes)
    let v: UnsafeMutableRawPointer?, d: UnsafeMutableRawPointer?
    do throws(SFError) { v = try copyToMalloc(words.valid) } catch { free(o); throw error }
    do throws(SFError) { d = try copyToMalloc(words.bytes) } catch { free(o); free(v); throw error }
    offsets.pointee = o
    valid.pointee = v
    data.pointee = d
    dataLength.pointee = Int64(words.bytes.count)
    count.pointee = Int64(words.valid.count)
  }
}

@_cdecl("sf_frame_dictionary_indices")
public func sfFrameDictionaryIndices(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ start: Int64, _ stop: Int64,
                                     _ indices: UnsafeMutablePointer<Int32>?, _ valid: UnsafeMutablePointer<UInt8>?,
                                     _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                                     _ missing: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), n = try string(name, "name")
    let indices = try output(indices, "indices"), valid = try output(valid, "valid")
    guard start >= 0, stop >= start else { throw .argument("bad row range \(start)..<\(stop)") }
    let lost = try f.dictionaryIndices(n, range: Int(start)..<Int(stop), into: indices, valid: valid,
                                       progress: progressHandler(progress, ctx))
    missing?.pointee = Int64(lost)
  }
}
