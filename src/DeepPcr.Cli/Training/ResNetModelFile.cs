using System.Globalization;
using DeepPcr.Cli.Files;
using DeepPcr.Models.ResNet;

namespace DeepPcr.Cli.Training;

/// <summary>
/// Saves a trained ResNet as safetensors: every parameter by its module path ("projection.weight",
/// "blocks.weight" (L, w, w), "blocks.bias" (L, w), "head.weight", ...) in float32, with the depth, width and
/// step scale in the metadata.
/// </summary>
public static class ResNetModelFile
{
    /// <summary>Writes the model atomically to <paramref name="path"/>.</summary>
    public static void Save(ResNetClassifier model, string path) => ModuleFile.Save(model, path, new Dictionary<string, string>
    {
        ["model"] = "deeppcr-resnet",
        ["depth"] = model.Blocks.Length.ToString(CultureInfo.InvariantCulture),
        ["width"] = model.Blocks.Width.ToString(CultureInfo.InvariantCulture),
        ["step_scale"] = model.Blocks.StepScale.ToString("R", CultureInfo.InvariantCulture),
    });
}
