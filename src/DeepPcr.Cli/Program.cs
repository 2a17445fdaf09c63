using System.CommandLine;
using DeepPcr.Cli.Commands;
using DeepPcr.Cli.Errors;

namespace DeepPcr.Cli;

/// <summary>The `deeppcr` command line: parses arguments and hands each verb to its command.</summary>
public static class Program
{
    /// <summary>Entry point; returns an exit code of <see cref="ExitCodes"/>: 0 success, 1 internal error, 2 usage or input error, 3 numerical failure.</summary>
    public static int Main(string[] args)
    {
        DeepPcr.Distributed.RankConsole.PreferPlainOutput();
        OpenMpPolicy.PreferPassive();
        var verbose = CliSession.VerboseOption();
        var maxMemory = CliSession.MaxMemoryOption();
        var root = ToolRootCommand.Create($"DeepPcr: parallelise the sequential parts of neural networks (DeepPCR, NeurIPS 2023). {ExitCodes.Summary}");
        root.Options.Add(verbose);
        root.Options.Add(maxMemory);
        root.Subcommands.Add(DemoCommand.Create(args));
        root.Subcommands.Add(MlpCommand.Create(args));
        root.Subcommands.Add(BenchCommand.Create(args));
        root.Subcommands.Add(TrainCommand.Create(args));
        root.Subcommands.Add(RunCommand.Create(args));
        root.Subcommands.Add(MakeModelCommand.Create(args));
        root.Subcommands.Add(SampleCommand.Create(args));
        root.Subcommands.Add(InfoCommand.Create(args));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0) return ParseErrorReporter.Report(parsed, Console.Error);
        bool isVerbose = parsed.GetValue(verbose);
        try
        {
            using var session = CliSession.Enter(CliSession.From(parsed, verbose, maxMemory));
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return ErrorReporter.Report(e, Console.Error, isVerbose);
        }
    }
}
