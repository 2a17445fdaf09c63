using System.CommandLine;
using System.CommandLine.Help;

namespace DeepPcr.Cli;

/// <summary>
/// The root of the command line, named `deeppcr` whatever the executable is called. A <see cref="RootCommand"/>
/// takes its name from the running executable, which is DeepPcr.Cli (the assembly cannot be called deeppcr beside the
/// DeepPcr library: assembly names are case-insensitive), so help and usage lines said `DeepPcr.Cli`.
/// </summary>
public static class ToolRootCommand
{
    /// <summary>The command's name in help and usage lines, and the .NET tool's command.</summary>
    public const string Name = "deeppcr";

    /// <summary>A root command called <see cref="Name"/> with the help and version options a root command has.</summary>
    /// <param name="description">The description shown by --help.</param>
    public static Command Create(string description)
    {
        var root = new Command(Name, description);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        return root;
    }
}
