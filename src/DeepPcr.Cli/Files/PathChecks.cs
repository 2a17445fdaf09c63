using DeepPcr.Cli.Errors;

namespace DeepPcr.Cli.Files;

/// <summary>
/// Checks made before any computation: inputs exist and can be read, outputs can be written (their folder, or the
/// nearest existing folder above it, accepts a new file), and no output is one of the inputs.
/// Failures are <see cref="UsageException"/>s (exit 2) naming the path and the option.
/// </summary>
public static class PathChecks
{
    /// <summary>The file exists, is not a folder, and can be opened for reading.</summary>
    public static void Readable(string path, string option)
    {
        if (Directory.Exists(path)) throw new UsageException($"{option}: {path} is a folder; a file was expected.");
        if (!File.Exists(path)) throw new UsageException($"{option}: {path} does not exist.");
        try
        {
            using var stream = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: {path} cannot be read ({ErrorReporter.OneLine(e)}).");
        }
    }

    /// <summary>The folder can be made if missing, and a file can be created in it.</summary>
    public static void WritableFolder(string folder, string option)
    {
        if (File.Exists(folder)) throw new UsageException($"{option}: {folder} is a file; a folder was expected.");
        Probe(NearestExisting(Path.GetFullPath(folder)), folder, option);
    }

    /// <summary>The file is not a folder, and its folder accepts a new file (the file is written beside it, then renamed).</summary>
    public static void WritableFile(string path, string option)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new UsageException($"{option}: {path} is a folder; a file name was expected.");
        string parent = Path.GetDirectoryName(full) ?? full;
        if (File.Exists(parent)) throw new UsageException($"{option}: {parent} is a file, not a folder.");
        Probe(NearestExisting(parent), path, option);
    }

    /// <summary>Refuses an output that names the same file as an input (after resolving symbolic links).</summary>
    public static void Distinct(IEnumerable<(string Path, string Option)> outputs, IEnumerable<(string Path, string Option)> inputs)
    {
        var inputList = inputs.Select(i => (Resolved: Resolve(i.Path), i.Option, i.Path)).ToList();
        foreach (var (path, option) in outputs)
        {
            string resolved = Resolve(path);
            var clash = inputList.FirstOrDefault(i => i.Resolved == resolved);
            if (clash.Option is not null)
            {
                throw new UsageException($"{option} {path} is the same file as {clash.Option} {clash.Path}; writing it would overwrite the input.");
            }
        }
    }

    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true);
            return target?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }

    private static string NearestExisting(string folder)
    {
        string? current = folder;
        while (current is not null && !Directory.Exists(current))
        {
            if (File.Exists(current)) throw new UsageException($"{current} is a file, not a folder.");
            current = Path.GetDirectoryName(current);
        }
        return current ?? Path.GetPathRoot(folder) ?? "/";
    }

    /// <summary>Creates and deletes an empty hidden file: the only sure test of a folder's writability.</summary>
    private static void Probe(string existingFolder, string path, string option)
    {
        string probe = Path.Combine(existingFolder, $".deeppcr-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot write {path}: the folder {existingFolder} does not accept new files.");
        }
    }
}
