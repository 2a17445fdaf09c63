namespace DeepPcr.Tests.Support;

/// <summary>A fresh temporary folder, deleted with everything in it on disposal.</summary>
public sealed class TempFolder : IDisposable
{
    /// <summary>Creates a folder whose name starts with <paramref name="prefix"/>.</summary>
    public TempFolder(string prefix) => Root = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The folder's full path.</summary>
    public string Root { get; }

    /// <summary>A path inside the folder.</summary>
    public string PathOf(string name) => Path.Combine(Root, name);

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Root, recursive: true);
}
