using System.Globalization;
using DeepPcr.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Files;

/// <summary>
/// A TorchSharp module's parameters as safetensors, by their module paths ("input.weight", ...), float32, with
/// metadata. Loading checks that every parameter is present with its exact shape, and that nothing else is there.
/// </summary>
public static class ModuleFile
{
    /// <summary>Writes every parameter atomically.</summary>
    public static void Save(nn.Module module, string path, IReadOnlyDictionary<string, string> metadata)
    {
        var writer = new SafeTensorWriter();
        foreach (var (name, parameter) in module.named_parameters())
        {
            using var data = parameter.detach().to_type(ScalarType.Float32);
            TensorFiles.Add(writer, name, data);
        }
        foreach (var (key, value) in metadata) writer.Metadata[key] = value;
        writer.Save(path);
    }

    /// <summary>Copies the file's tensors into the module's parameters.</summary>
    /// <exception cref="InvalidDataException">A missing or extra tensor, a wrong shape or dtype, non-finite values.</exception>
    public static void Load(nn.Module module, SafeTensorFile file)
    {
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var extra = file.Tensors.Select(t => t.Name).Where(n => !parameters.ContainsKey(n)).ToArray();
        if (extra.Length > 0) throw new InvalidDataException($"{file.Source}: unexpected tensor(s) {string.Join(", ", extra)}.");
        using var noGrad = torch.no_grad();
        foreach (var (name, parameter) in parameters)
        {
            using var value = TensorFiles.Read(file, name, parameter.shape);
            parameter.copy_(value.to_type(parameter.dtype));
        }
    }

    /// <summary>An integer metadata entry, with a clear error when it is missing or malformed.</summary>
    public static int MetadataInt(SafeTensorFile file, string key)
    {
        if (!file.Metadata.TryGetValue(key, out string? text) || !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            throw new InvalidDataException($"{file.Source}: the metadata needs an integer '{key}'.");
        }
        return value;
    }

    /// <summary>Reads a file given by path, or the embedded default when the path is null.</summary>
    public static SafeTensorFile OpenOrDefault(string? path, string resource, string role)
    {
        if (path is not null) return TensorFiles.Open(path, role);
        using var stream = typeof(ModuleFile).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded {role} {resource} is missing from the build.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return SafeTensorFile.Read(memory.ToArray(), $"embedded {role}");
    }
}
