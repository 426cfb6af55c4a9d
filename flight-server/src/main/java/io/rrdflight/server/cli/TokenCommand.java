package io.rrdflight.server.cli;

import io.rrdflight.server.auth.AuthStore.TokenRecord;
import io.rrdflight.server.auth.Authenticator;
import io.rrdflight.server.auth.Role;
import io.rrdflight.server.auth.Tokens.IssuedToken;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rrdflight token}: bearer tokens for {@code rrdflight server --auth}. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Makes, lists and revokes the bearer tokens of a data dir, or with --catalog those of a fleet (for"
        + " 'rrdflight server --auth'). Works while servers run; a revocation takes effect on the next call (on a fleet's"
        + " nodes within 0.2 s).",
    subcommands = {TokenCommand.Create.class, TokenCommand.Revoke.class, TokenCommand.ListTokens.class},
    footerHeading = "%nExamples:%n",
    footer = {
      "  TOKEN=$(rrdflight token create --role reader --name dashboards --expires 90d)",
      "  rrdflight token create --role writer --name ci --allowed-host rrd.example.com",
      "  rrdflight token revoke dashboards",
      "  rrdflight token create --role reader --catalog jdbc:postgresql://db/rrd --allowed-host .example.com   (a fleet)",
      "",
      "Use the token:",
      "  Rerun SDK:  rr.catalog.CatalogClient(\"rerun+http://HOST:51234\", token=TOKEN)",
      "  JDBC:       jdbc:arrow-flight-sql://HOST:51234/?useEncryption=false&token=TOKEN",
      "  ADBC:       db_kwargs={\"adbc.flight.sql.authorization_header\": \"Bearer \" + TOKEN}"
    })
final class TokenCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: use 'token create', 'token revoke' or 'token list'");
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Makes a token and prints it as the last line of output (details go to stderr). The token is"
          + " shown once and never stored; keep it like a password.")
  static final class Create implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin AuthStateOption authState = new AuthStateOption();

    @Option(names = "--role", required = true, paramLabel = "ROLE",
        description = "reader (queries, listings), writer (+ register, create, write tables) or admin (+ delete, rename, unregister).")
    String role;

    @Option(names = "--name", paramLabel = "NAME", description = "A name to revoke it by and to see in the audit log (default: ROLE-<random>).")
    String name;

    @Option(names = "--expires", paramLabel = "DURATION", defaultValue = "90d",
        description = "Lifetime: 90d, 12h, 2w, 1y, P30D or never (default: ${DEFAULT-VALUE}).")
    String expires;

    @Option(names = "--allowed-host", paramLabel = "HOST",
        description = "A host name rerun-sdk (0.30 and later) may send this token to; '.example.com' allows its subdomains."
            + " Repeatable. Default: localhost, 127.0.0.1, [::1] and this machine's name.")
    List<String> allowedHosts = new ArrayList<>();

    @Override
    public Integer call() {
      Role parsedRole;
      Optional<Duration> lifetime;
      try {
        parsedRole = Role.parse(role);
        lifetime = DurationOption.parse(expires);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      List<String> hosts = allowedHosts.isEmpty() ? defaultAllowedHosts() : allowedHosts;
      try (Authenticator auth = authState.authenticator()) {
        IssuedToken issued;
        try {
          issued = auth.tokens().issue(Optional.ofNullable(name), parsedRole, lifetime, hosts);
        } catch (IllegalArgumentException e) {
          throw new UserError(e.getMessage(), 1);
        }
        TokenRecord r = issued.record();
        PrintWriter err = spec.commandLine().getErr();
        err.println("rrdflight: token '" + r.name() + "' (" + r.role().label() + "), "
            + r.expiresAt().map(t -> "expires " + t).orElse("never expires") + "; rerun-sdk sends it to " + String.join(", ", hosts));
        err.flush();
        PrintWriter out = spec.commandLine().getOut();
        out.println(issued.token());
        out.flush();
      }
      return 0;
    }

    /** The names a client on this machine or the LAN is likely to dial. */
    static List<String> defaultAllowedHosts() {
      Set<String> hosts = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "[::1]"));
      try {
        InetAddress local = InetAddress.getLocalHost();
        hosts.add(local.getHostName());
        hosts.add(local.getCanonicalHostName());
      } catch (IOException e) {
        // No name for this machine: the loopback names are still there.
      }
      return List.copyOf(hosts);
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revokes the token named NAME; its next call is refused.")
  static final class Revoke implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin AuthStateOption authState = new AuthStateOption();

    @Parameters(paramLabel = "NAME", description = "The token's name (see 'rrdflight token list').")
    String name;

    @Override
    public Integer call() {
      try (Authenticator auth = authState.authenticator()) {
        if (!auth.tokens().revoke(name)) {
          throw new UserError("no token named '" + name + "' that is not revoked already (see 'rrdflight token list')", 1);
        }
      }
      spec.commandLine().getOut().println("rrdflight: revoked token '" + name + "'");
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists tokens: name, role, created, expires, status (never the tokens).")
  static final class ListTokens implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin AuthStateOption authState = new AuthStateOption();

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (Authenticator auth = authState.authenticator()) {
        out.println("NAME\tROLE\tCREATED\tEXPIRES\tSTATUS");
        for (TokenRecord t : auth.tokens().list()) {
          String status = t.revokedAt().map(at -> "revoked " + at)
              .orElse(t.expiresAt().filter(at -> !at.isAfter(Instant.now())).map(at -> "expired").orElse("active"));
          out.println(t.name() + "\t" + t.role().label() + "\t" + t.createdAt() + "\t" + t.expiresAt().map(Object::toString).orElse("never")
              + "\t" + status);
        }
      }
      return 0;
    }
  }
}
