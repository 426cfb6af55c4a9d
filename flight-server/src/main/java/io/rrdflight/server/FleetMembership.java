package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.server.flightsql.EndpointPlacement;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.Location;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server as one node of a fleet on a shared PostgreSQL catalog: every {@link #HEARTBEAT} it
 * records itself in the catalog's nodes table, reads the catalog again when another node changed it
 * (or takes over as writer, see {@link Catalog#refresh()}), and reads which nodes are alive. The
 * endpoints of a split query go round-robin over the live nodes, each naming the others after it as
 * alternatives; a node whose heartbeat is older than {@link #LIVE_WINDOW} gets no new endpoints.
 */
final class FleetMembership implements EndpointPlacement, AutoCloseable {
  static final Duration HEARTBEAT = Duration.ofSeconds(1);
  static final Duration LIVE_WINDOW = Duration.ofSeconds(5);
  private static final Logger log = LoggerFactory.getLogger(FleetMembership.class);

  private final Catalog catalog;
  private final String nodeId = UUID.randomUUID().toString();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "rrdflight-fleet");
    t.setDaemon(true);
    return t;
  });
  private volatile List<Location> live = List.of();
  private volatile boolean failing;

  FleetMembership(Catalog catalog) {
    this.catalog = requireNonNull(catalog, "catalog is null");
  }

  /** Starts the heartbeat; {@code location} is what other nodes' endpoints name for this one. */
  void start(URI location) {
    requireNonNull(location, "location is null");
    beat(location.toString()); // before the server says it is ready: its first FlightInfo already spreads
    timer.scheduleWithFixedDelay(() -> beat(location.toString()), HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void beat(String location) {
    try {
      catalog.heartbeat(nodeId, location);
      if (catalog.refresh()) {
        log.info("catalog changed on another node: read again");
      }
      List<Location> now = new ArrayList<>();
      for (String uri : catalog.liveLocations(LIVE_WINDOW)) {
        try {
          now.add(new Location(uri));
        } catch (java.net.URISyntaxException e) {
          log.warn("fleet node with an unusable location skipped: {}", e.getMessage());
        }
      }
      live = List.copyOf(now);
      if (failing) {
        log.info("fleet heartbeat works again");
        failing = false;
      }
    } catch (RuntimeException e) {
      // The catalog database is unreachable: keep serving what we know; endpoints stay on the last live nodes.
      if (!failing) {
        log.warn("fleet heartbeat failed: {}", e.getMessage());
        failing = true;
      }
    }
  }

  @Override
  public List<Location> locations(int index, int count) {
    List<Location> nodes = live;
    if (nodes.isEmpty()) {
      return List.of();
    }
    List<Location> out = new ArrayList<>(nodes.size());
    for (int k = 0; k < nodes.size(); k++) {
      out.add(nodes.get((index + k) % nodes.size()));
    }
    return out;
  }

  @Override
  public int nodes() {
    return Math.max(1, live.size());
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
