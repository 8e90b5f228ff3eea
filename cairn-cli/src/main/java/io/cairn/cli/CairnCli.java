package io.cairn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cairn} command. Subcommands are added here as they land. */
@Command(name = "cairn",
        mixinStandardHelpOptions = true,
        versionProvider = CairnCli.Version.class,
        description = "Cairn: a Redis-compatible, sharded, Raft-replicated, durable key-value store.",
        subcommands = {ServerCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class CairnCli {

    public static void main(String[] args) {
        int code = new CommandLine(new CairnCli()).execute(args);
        System.exit(code);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = CairnCli.class.getPackage().getImplementationVersion();
            return new String[] {"cairn " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
