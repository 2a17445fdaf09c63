using System.CommandLine;

namespace DeepPcr.Cli.Errors;

/// <summary>
/// Parse errors (an unknown option, a value of the wrong type, a missing required option): at most three lines on
/// stderr (the first error, how many more there were, and a usage hint) and exit code 2; never the help on stdout.
/// </summary>
public static partial class ParseErrorReporter
{
    /// <summary>Writes the errors of <paramref name="parsed"/> and returns <see cref="ExitCodes.UsageError"/>.</summary>
    public static int Report(ParseResult parsed, TextWriter error)
    {
        var errors = parsed.Errors;
        error.WriteLine($"error: {FirstLine(errors[0].Message)}");
        if (errors.Count > 1) error.WriteLine($"({errors.Count - 1} more error{(errors.Count > 2 ? "s" : "")}: {FirstLine(errors[1].Message)}{(errors.Count > 2 ? " ..." : "")})");
        error.WriteLine($"usage: see `{CommandPath(parsed.CommandResult.Command)} --help`. {ExitCodes.Summary}");
        return ExitCodes.UsageError;
    }

    /// <summary>"deeppcr bench mlp" for the `mlp` subcommand of `bench`.</summary>
    public static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
        {
            names.Add(c is RootCommand ? "deeppcr" : c.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The first line, with .NET type names ("as expected type 'System.Int32'") said in words.</summary>
    private static string FirstLine(string text) =>
        ExpectedType().Replace(text.Split('\n', 2)[0].Trim(), m => m.Groups[1].Value switch
        {
            var t when t.Contains("Int32", StringComparison.Ordinal) => "as a whole number (up to 2147483647)",
            var t when t.Contains("Int64", StringComparison.Ordinal) => "as a whole number",
            var t when t.Contains("Double", StringComparison.Ordinal) => "as a number",
            var t when t.Contains("Boolean", StringComparison.Ordinal) => "as true or false",
            _ => "as a value of this option",
        });

    [System.Text.RegularExpressions.GeneratedRegex(@"as expected type '([^']*)'")]
    private static partial System.Text.RegularExpressions.Regex ExpectedType();
}
