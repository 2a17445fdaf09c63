using DeepPcr.Cli;

namespace DeepPcr.Tests;

/// <summary>Every help screen of the command line calls it `deeppcr` (the .NET tool's command), never DeepPcr.Cli.</summary>
public class HelpTextTests
{
    [Fact]
    public void EveryUsageLineSaysDeeppcr()
    {
        var pending = new Queue<string[]>([[]]);
        int screens = 0;
        while (pending.Count > 0)
        {
            string[] path = pending.Dequeue();
            string help = Help(path);
            screens++;
            Assert.Contains($"Usage:{Environment.NewLine}  {string.Join(' ', ["deeppcr", .. path])}", help);
            Assert.DoesNotContain("DeepPcr.Cli", help);
            foreach (string sub in Subcommands(help)) pending.Enqueue([.. path, sub]);
        }
        Assert.True(screens >= 10, $"only {screens} help screens were found");
    }

    private static string Help(string[] path)
    {
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, Program.Main([.. path, "--help"]));
        }
        finally
        {
            Console.SetOut(original);
        }
        return output.ToString();
    }

    /// <summary>The names listed under "Commands:" (two spaces, the name, then its description).</summary>
    private static IEnumerable<string> Subcommands(string help)
    {
        string[] lines = help.Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == "Commands:");
        if (start < 0) yield break;
        for (int i = start + 1; i < lines.Length && lines[i].StartsWith("  ", StringComparison.Ordinal); i++)
        {
            string name = lines[i].Trim().Split(' ', 2)[0];
            if (name.Length > 0 && !name.StartsWith('<')) yield return name;
        }
    }
}
