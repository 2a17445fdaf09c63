using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Model;
using DeepPcr.SafeTensors;

namespace DeepPcr.Gpu.Tests;

/// <summary>Bad models, files and problems are refused with a message that says what is wrong.</summary>
public sealed class InputValidationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deeppcr-gpu-tests-").FullName;

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A saved model loads back with the same float32 parameters and activation.</summary>
    [Fact]
    public void ModelFileRoundTrips()
    {
        var model = MlpModel.Random(3, 4, 1.0, seed: 2, MlpActivation.Relu);
        string path = Path.Combine(_folder, "m.safetensors");
        MlpModelFiles.Save(model, path);
        var loaded = MlpModelFiles.Load(path);
        Assert.Equal((3, 4, MlpActivation.Relu), (loaded.Layers, loaded.Width, loaded.Activation));
        Assert.Equal(model.RoundedToFloat32().Weights, loaded.Weights);
        Assert.Equal(model.RoundedToFloat32().Biases, loaded.Biases);
        var file = SafeTensorFile.Read(path);
        Assert.Equal("relu", file.Metadata["activation"]);
        Assert.Equal(SafeTensorDtype.F32, file.Get("layers.2.weight").Dtype);
    }

    /// <summary>An io file holds input and cotangent [B, w] in F32.</summary>
    [Fact]
    public void ProblemFileHoldsInputAndCotangent()
    {
        var problem = ChainProblem.Random(2, 3, seed: 1);
        string path = Path.Combine(_folder, "io.safetensors");
        problem.Save(path);
        var file = SafeTensorFile.Read(path);
        Assert.Equal(new long[] { 2, 3 }, file.Get("input").Shape);
        Assert.Equal(problem.Cotangent, file.ReadAsFloat64("cotangent"));
    }

    [Fact]
    public void NonSquareWeightsAreRefused()
    {
        var writer = Layers(2, 3);
        writer.Add("layers.2.weight", new float[6], [2, 3]);
        writer.Add("layers.2.bias", new float[3], [3]);
        var error = Assert.Throws<InvalidDataException>(() => MlpModelFiles.Load(Save(writer)));
        Assert.Contains("layers.2.weight has shape [2, 3]", error.Message);
    }

    [Fact]
    public void NonSquareFirstLayerIsRefused()
    {
        var writer = new SafeTensorWriter();
        writer.Add("layers.0.weight", new float[6], [2, 3]);
        writer.Add("layers.0.bias", new float[2], [2]);
        writer.Metadata["activation"] = "tanh";
        Assert.Contains("square", Assert.Throws<InvalidDataException>(() => MlpModelFiles.Load(Save(writer))).Message);
    }

    [Fact]
    public void MissingLayerIsRefused()
    {
        var writer = Layers(2, 3);
        writer.Add("layers.3.weight", new float[9], [3, 3]);
        writer.Add("layers.3.bias", new float[3], [3]);
        var error = Assert.Throws<InvalidDataException>(() => MlpModelFiles.Load(Save(writer)));
        Assert.Contains("layers.3.weight", error.Message);
        Assert.Contains("without gaps", error.Message);
    }

    [Fact]
    public void MissingBiasIsRefused()
    {
        var writer = Layers(1, 3);
        writer.Add("layers.1.weight", new float[9], [3, 3]);
        Assert.Contains("'layers.1.bias' is missing", Assert.Throws<InvalidDataException>(() => MlpModelFiles.Load(Save(writer))).Message);
    }

    [Fact]
    public void EmptyModelIsRefused() =>
        Assert.Contains("no tensor 'layers.0.weight'", Assert.Throws<InvalidDataException>(() => MlpModelFiles.Load(Save(new SafeTensorWriter()))).Message);

    [Fact]
    public void NaNParameterIsRefused()
    {
        var writer = Layers(1, 3);
        var weight = new float[9];
        weight[4] = float.NaN;
        writer.Add("layers.1.weight", weight, [3, 3]);
        writer.Add("layers.1.bias", new float[3], [3]);
        var error = Assert.Throws<InvalidDataException>(() => MlpModelFiles.Load(Save(writer)));
        Assert.Contains("Layer 1: weight entry 4 is NaN", error.Message);
    }

    [Theory]
    [InlineData("gelu")]
    [InlineData("")]
    public void WrongActivationNameIsRefused(string name)
    {
        var writer = Layers(1, 3);
        writer.Metadata["activation"] = name;
        Assert.Contains("Unknown activation", Assert.Throws<InvalidDataException>(() => MlpModelFiles.Load(Save(writer))).Message);
        Assert.Throws<ArgumentException>(() => MlpActivations.Parse(name));
    }

    [Fact]
    public void MissingActivationIsRefused()
    {
        var writer = Layers(1, 3);
        writer.Metadata.Clear();
        Assert.Contains("no 'activation' entry", Assert.Throws<InvalidDataException>(() => MlpModelFiles.Load(Save(writer))).Message);
    }

    [Fact]
    public void BadModelArraysAreRefused()
    {
        Assert.Contains("needs 18", Assert.Throws<ArgumentException>(() => new MlpModel(2, 3, new double[17], new double[6], MlpActivation.Tanh)).Message);
        Assert.Contains("needs 6", Assert.Throws<ArgumentException>(() => new MlpModel(2, 3, new double[18], new double[5], MlpActivation.Tanh)).Message);
        Assert.Contains("outside 1..64", Assert.Throws<ArgumentException>(() => new MlpModel(1, 65, new double[65 * 65], new double[65], MlpActivation.Tanh)).Message);
        Assert.Contains("at least one layer", Assert.Throws<ArgumentException>(() => new MlpModel(0, 3, [], [], MlpActivation.Tanh)).Message);
        var biases = new double[6];
        biases[4] = double.PositiveInfinity;
        Assert.Contains("Layer 1: bias entry 1", Assert.Throws<ArgumentException>(() => new MlpModel(2, 3, new double[18], biases, MlpActivation.Tanh)).Message);
    }

    [Fact]
    public void BadProblemsAreRefused()
    {
        var input = new double[6];
        input[5] = double.NaN;
        Assert.Contains("input[1, 2] is NaN", Assert.Throws<ArgumentException>(() => new ChainProblem(2, 3, input, new double[6])).Message);
        Assert.Contains("needs 6", Assert.Throws<ArgumentException>(() => new ChainProblem(2, 3, new double[6], new double[5])).Message);
        Assert.Throws<ArgumentException>(() => new EngineOptions { Rule = new DeepPcr.Newton.StoppingRule(double.NaN, 1e-5) }.Validate());
        Assert.Throws<ArgumentException>(() => new EngineOptions(MaxIterations: -1).Validate());
    }

    private SafeTensorWriter Layers(int count, int width)
    {
        var writer = new SafeTensorWriter();
        for (int k = 0; k < count; k++)
        {
            writer.Add($"layers.{k}.weight", new float[width * width], [width, width]);
            writer.Add($"layers.{k}.bias", new float[width], [width]);
        }
        writer.Metadata["activation"] = "tanh";
        return writer;
    }

    private string Save(SafeTensorWriter writer)
    {
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
        writer.Save(path);
        return path;
    }
}
