using DeepPcr.Cli.Errors;

namespace DeepPcr.Cli.Commands;

/// <summary>Runs a command body and turns failures into a one-line message and an exit code of <see cref="ExitCodes"/>.</summary>
public static class CommandRunner
{
    /// <summary>Exit code for bad input: a missing or malformed file, a bad argument (<see cref="ExitCodes.UsageError"/>).</summary>
    public const int BadInput = ExitCodes.UsageError;

    /// <summary>Runs <paramref name="body"/>; failures are reported by <see cref="ErrorReporter"/> (2 usage or input, 3 numerical, 1 internal).</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return ErrorReporter.Report(e, Console.Error, CliSession.Current.Verbose);
        }
    }
}
