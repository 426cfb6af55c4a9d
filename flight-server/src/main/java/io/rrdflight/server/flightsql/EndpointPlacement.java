package io.rrdflight.server.flightsql;

import java.util.List;
import org.apache.arrow.flight.Location;

/**
 * Where the endpoints of a split query are served: the locations of endpoint {@code index} of
 * {@code count}, best first. No location means "the server you asked", which is all a single server
 * says; a fleet spreads endpoints over its live nodes.
 */
@FunctionalInterface
public interface EndpointPlacement {
  EndpointPlacement SAME_SERVER = (index, count) -> List.of();

  List<Location> locations(int index, int count);

  /** How many nodes serve endpoints (at least one: this server); a split query's endpoint count scales with it. */
  default int nodes() {
    return 1;
  }
}
