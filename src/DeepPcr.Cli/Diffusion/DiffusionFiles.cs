using System.Globalization;
using DeepPcr.Cli.Files;
using DeepPcr.Models.Diffusion;

namespace DeepPcr.Cli.Diffusion;

/// <summary>
/// The diffusion checkpoint (the EMA denoiser, metadata model = deeppcr-ddpm, steps, hidden, width, schedule = linear)
/// and the quality classifier (metadata model = deeppcr-digits-classifier). Both ship embedded as the defaults.
/// </summary>
public static class DiffusionFiles
{
    /// <summary>Resource name of the committed denoiser (src/DeepPcr.Cli/Assets/ddpm_digits.safetensors).</summary>
    public const string DefaultModel = "DeepPcr.Cli.Assets.ddpm_digits.safetensors";

    /// <summary>Resource name of the committed classifier (src/DeepPcr.Cli/Assets/digits_classifier.safetensors).</summary>
    public const string DefaultClassifier = "DeepPcr.Cli.Assets.digits_classifier.safetensors";

    /// <summary>Saves a denoiser trained for a T-step schedule.</summary>
    public static void SaveDenoiser(Denoiser denoiser, int steps, string path) => ModuleFile.Save(denoiser, path, new Dictionary<string, string>
    {
        ["model"] = "deeppcr-ddpm",
        ["schedule"] = "linear",
        ["steps"] = steps.ToString(CultureInfo.InvariantCulture),
        ["hidden"] = denoiser.HiddenWidth.ToString(CultureInfo.InvariantCulture),
        ["width"] = denoiser.Width.ToString(CultureInfo.InvariantCulture),
    });

    /// <summary>Loads a denoiser and the T it was trained for; null path: the embedded default.</summary>
    /// <exception cref="InvalidDataException">Not a DeepPcr DDPM checkpoint, or a malformed one.</exception>
    public static (Denoiser Denoiser, int Steps) LoadDenoiser(string? path)
    {
        var file = ModuleFile.OpenOrDefault(path, DefaultModel, "diffusion model");
        if (!file.Metadata.TryGetValue("model", out string? kind) || kind != "deeppcr-ddpm")
        {
            throw new InvalidDataException($"{file.Source}: not a DeepPcr DDPM checkpoint (metadata 'model' is '{kind ?? "missing"}', 'deeppcr-ddpm' was expected).");
        }
        int width = ModuleFile.MetadataInt(file, "width"), hidden = ModuleFile.MetadataInt(file, "hidden"), steps = ModuleFile.MetadataInt(file, "steps");
        if (width < 1 || hidden < 1 || steps < 1) throw new InvalidDataException($"{file.Source}: width, hidden and steps must be positive.");
        var denoiser = new Denoiser(width, hidden, seed: 0);
        ModuleFile.Load(denoiser, file);
        return (denoiser, steps);
    }

    /// <summary>Saves the quality classifier.</summary>
    public static void SaveClassifier(FeatureClassifier classifier, string path) =>
        ModuleFile.Save(classifier, path, new Dictionary<string, string> { ["model"] = "deeppcr-digits-classifier" });

    /// <summary>Loads the quality classifier; null path: the embedded default.</summary>
    public static FeatureClassifier LoadClassifier(string? path)
    {
        var file = ModuleFile.OpenOrDefault(path, DefaultClassifier, "classifier");
        var classifier = new FeatureClassifier(seed: 0);
        ModuleFile.Load(classifier, file);
        return classifier;
    }
}
