package io.cairn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cairn} command. Subcommands are added here as they land. */
@Command(name = "cairn",
        mixinStandardHelpOptions = true,
        versionProvider = CairnCli.Version.class,
        description = "Cairn: a Redis-compatible, sharded, Raft-replicated, durable key-value store.",
        subcommands = {ServerCommand.class, DemoCommand.class, VerifyCommand.class, TopologyCommand.class,
                LeaveCommand.class, RebalanceCommand.class, JoinCommand.class, DataCommands.Put.class,
                DataCommands.Get.class, DataCommands.Delete.class, DataCommands.Scan.class, DataCommands.Stats.class,
                DataCommands.Ping.class, ReplCommand.class, CompletionCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class CairnCli {

    public static void main(String[] args) {
        int code = 1;
        try {
            code = new CommandLine(new CairnCli()).execute(args);
        } catch (Throwable t) {
            // An Error escapes picocli; exit anyway, or non-daemon Raft/gRPC threads keep the process up.
            t.printStackTrace();
        } finally {
            System.exit(code);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = CairnCli.class.getPackage().getImplementationVersion();
            return new String[] {"cairn " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
