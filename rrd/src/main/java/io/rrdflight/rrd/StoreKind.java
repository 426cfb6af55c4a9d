package io.rrdflight.rrd;

/** What a store holds: recorded data, or a blueprint that describes how a viewer lays it out. */
public enum StoreKind {
  RECORDING,
  BLUEPRINT;

  /** From the protobuf enum; unspecified is read as a recording, as Rerun does. */
  static StoreKind fromProto(io.rrdflight.rrd.proto.StoreKind kind) {
    return kind == io.rrdflight.rrd.proto.StoreKind.STORE_KIND_BLUEPRINT ? BLUEPRINT : RECORDING;
  }
}
