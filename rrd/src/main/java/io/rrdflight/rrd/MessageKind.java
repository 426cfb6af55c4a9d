package io.rrdflight.rrd;

import java.util.Optional;

/** The kind field of a frame's message header: which protobuf message its payload holds. */
public enum MessageKind {
  /** Ends a stream. Empty up to Rerun 0.27; from 0.28 it carries an RrdFooter and a stream footer follows. */
  END(0),
  SET_STORE_INFO(1),
  /** One chunk. */
  ARROW_MSG(2),
  BLUEPRINT_ACTIVATION_COMMAND(3);

  private final long code;

  MessageKind(long code) {
    this.code = code;
  }

  /** The value of the kind field on the wire. */
  public long code() {
    return code;
  }

  static Optional<MessageKind> fromCode(long code) {
    for (MessageKind kind : values()) {
      if (kind.code == code) {
        return Optional.of(kind);
      }
    }
    return Optional.empty();
  }
}
