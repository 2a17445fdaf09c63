namespace DeepPcr.Tests;

/// <summary>
/// The README's first C# block (the API tour, which CI also runs as a fresh project's Program.cs) is the code that
/// <see cref="ReadmeExampleTests"/> compiles: the two cannot drift apart.
/// </summary>
public class ReadmeBlockTests
{
    [Fact]
    public void TheApiTourIsTheTestedExample()
    {
        string root = RepositoryRoot();
        string[] readme = FirstCSharpBlock(File.ReadAllLines(Path.Combine(root, "README.md")));
        string[] test = TestedExample(File.ReadAllLines(Path.Combine(root, "tests", "DeepPcr.Tests", "ReadmeExampleTests.cs")));
        Assert.NotEmpty(test);
        Assert.Equal(test, Code(readme));
    }

    private static string[] FirstCSharpBlock(string[] lines)
    {
        int start = Array.FindIndex(lines, l => l.Trim() == "```csharp") + 1;
        int end = Array.FindIndex(lines, start, l => l.Trim() == "```");
        return lines[start..end];
    }

    private static string[] TestedExample(string[] lines)
    {
        int start = Array.FindIndex(lines, l => l.Contains("README example starts", StringComparison.Ordinal)) + 1;
        int end = Array.FindIndex(lines, start, l => l.Contains("README example ends", StringComparison.Ordinal));
        return Code(lines[start..end]);
    }

    /// <summary>The statements alone: no using directives, no blank lines, no indentation.</summary>
    internal static string[] Code(string[] lines) =>
        lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("using ", StringComparison.Ordinal)).ToArray();

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && Directory.Exists(Path.Combine(dir.FullName, "tests"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no repository root above {AppContext.BaseDirectory}");
    }
}
