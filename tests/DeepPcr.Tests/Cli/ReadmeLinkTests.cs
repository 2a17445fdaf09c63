using System.Text.RegularExpressions;

namespace DeepPcr.Tests.Cli;

/// <summary>Every relative link of the README and of docs/*.md points at a file or folder of the repository.</summary>
public sealed partial class ReadmeLinkTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && Directory.Exists(Path.Combine(dir.FullName, "docs"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("No repository root (README.md beside docs/) above the test's folder.");
    }

    public static TheoryData<string> Documents()
    {
        string root = RepositoryRoot();
        var data = new TheoryData<string> { "README.md" };
        foreach (string file in Directory.GetFiles(Path.Combine(root, "docs"), "*.md")) data.Add(Path.GetRelativePath(root, file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void RelativeLinksResolve(string document)
    {
        string root = RepositoryRoot();
        string path = Path.Combine(root, document);
        string text = File.ReadAllText(path);
        var links = Link().Matches(text).Select(m => m.Groups[1].Value)
            .Where(l => !l.Contains("://", StringComparison.Ordinal) && !l.StartsWith('#') && !l.StartsWith("mailto:", StringComparison.Ordinal))
            .ToArray();
        if (document == "README.md") Assert.NotEmpty(links);
        var broken = links.Where(l => !Exists(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(l.Split('#')[0])))).ToArray();
        Assert.True(broken.Length == 0, $"{document}: broken links {string.Join(", ", broken)}");
        Assert.DoesNotContain("../shared", text);
    }

    [Fact]
    public void TheReadmesAnchorsExist()
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var headings = Regex.Matches(text, @"^#+ (.+)$", RegexOptions.Multiline)
            .Select(m => Regex.Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), @"[^a-z0-9 _-]", "").Replace(' ', '-')).ToHashSet();
        foreach (Match m in Regex.Matches(text, @"\]\(#([^)]+)\)")) Assert.Contains(m.Groups[1].Value, headings);
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();
}
