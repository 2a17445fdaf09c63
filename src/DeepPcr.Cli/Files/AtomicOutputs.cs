using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace DeepPcr.Cli.Files;

/// <summary>
/// The output files of one command: each is written to a hidden temporary file beside its target, and
/// <see cref="Commit"/> renames them all into place once everything has succeeded. A failed run (or one stopped by
/// Ctrl+C or SIGTERM) removes its temporary files and the folders it made, and leaves every earlier output as it
/// was: never a half-written file, never a new file beside stale ones of an earlier run.
/// </summary>
public sealed class AtomicOutputs : IDisposable
{
    private static readonly ConcurrentDictionary<AtomicOutputs, byte> live = new();
    private static PosixSignalRegistration[]? signals;

    private readonly List<(string Temp, string Final)> staged = new();
    private readonly List<string> createdFolders = new();
    private bool committed;

    /// <summary>Starts an empty set of outputs; interrupting the process from now on removes its temporary files.</summary>
    public AtomicOutputs()
    {
        live[this] = 0;
        signals ??= new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(s => PosixSignalRegistration.Create(s, _ => RemoveAllTemporaries())).ToArray();
    }

    /// <summary>A temporary path for <paramref name="path"/> (same folder and extension, so writers that choose a format by extension still work); the folder is made if missing.</summary>
    public string Stage(string path)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        MakeFolder(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileNameWithoutExtension(full)}.{Guid.NewGuid():N}.tmp{Path.GetExtension(full)}");
        lock (staged) staged.Add((temp, full));
        return temp;
    }

    /// <summary>Stages a file written by <paramref name="write"/> into a stream.</summary>
    public void Write(string path, Action<Stream> write)
    {
        using var stream = File.Create(Stage(path));
        write(stream);
    }

    /// <summary>Stages a text file.</summary>
    public void WriteAllText(string path, string text) => File.WriteAllText(Stage(path), text);

    /// <summary>Stages a JSON file, indented.</summary>
    public void WriteJson(string path, System.Text.Json.Nodes.JsonNode json) =>
        WriteAllText(path, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Stages a file that <paramref name="save"/> writes to the path it is given (a plot's SavePng, say).</summary>
    public void Save(string path, Action<string> save) => save(Stage(path));

    /// <summary>Renames every staged file into place.</summary>
    public void Commit()
    {
        lock (staged)
        {
            foreach (var (temp, final) in staged) File.Move(temp, final, overwrite: true);
            staged.Clear();
            committed = true;
        }
    }

    /// <summary>Removes what was not committed: temporary files, and folders this run made that are left empty.</summary>
    public void Dispose()
    {
        live.TryRemove(this, out _);
        RemoveTemporaries();
        if (committed) return;
        foreach (string folder in Enumerable.Reverse(createdFolders))
        {
            try
            {
                if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
            }
            catch (IOException)
            {
                // Another process wrote there meanwhile: leave it.
            }
        }
    }

    private void MakeFolder(string folder)
    {
        if (Directory.Exists(folder)) return;
        MakeFolder(Path.GetDirectoryName(folder)!);
        Directory.CreateDirectory(folder);
        createdFolders.Add(folder);
    }

    private void RemoveTemporaries()
    {
        lock (staged)
        {
            foreach (var (temp, _) in staged)
            {
                try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            staged.Clear();
        }
    }

    private static void RemoveAllTemporaries()
    {
        foreach (var outputs in live.Keys) outputs.RemoveTemporaries();
    }
}
