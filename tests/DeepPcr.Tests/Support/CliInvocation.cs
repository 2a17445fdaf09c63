using DeepPcr.Cli;

namespace DeepPcr.Tests.Support;

/// <summary>What one in-process call of the real `deeppcr` entry point returned and printed.</summary>
/// <param name="Code">The exit code.</param>
/// <param name="Out">Everything written to stdout.</param>
/// <param name="Error">Everything written to stderr.</param>
public sealed record CliInvocation(int Code, string Out, string Error)
{
    /// <summary>The non-empty lines of stderr.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Calls <see cref="Program.Main"/> with stdout and stderr captured (test collections run one at a time).</summary>
    public static CliInvocation Run(params string[] args)
    {
        var (oldOut, oldError) = (Console.Out, Console.Error);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = Program.Main(args);
            return new CliInvocation(code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}
