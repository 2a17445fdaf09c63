using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Errors;
using DeepPcr.Models.Text;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Rnn;

/// <summary>The King James text, the character model and `deeppcr train charlm` at tiny sizes (no timing asserted).</summary>
[Collection(HostThreadsCollection.Name)]
public sealed class CharLmTests
{
    [Fact]
    public void TheEmbeddedBibleIsTheWholeTextOfDataReadme()
    {
        var corpus = KingJamesBible.Load();
        Assert.Equal(4_298_239, corpus.Tokens.Length);
        Assert.Equal(73, corpus.Vocabulary.Length);
        string text = corpus.Decode(corpus.Tokens);
        Assert.StartsWith("\nGenesis 1\n\n  1 In the beginning God created the heaven and the earth.", text);
        Assert.EndsWith("The grace of our Lord Jesus Christ be with you all. Amen.\n", text);
        Assert.Equal((int)(corpus.Tokens.Length * 0.9), corpus.TrainLength);
        Assert.Equal(corpus.Tokens.Length - corpus.TrainLength, corpus.HeldOut.Length);
    }

    [Fact]
    public void ACorpusRoundTripsAndRefusesWhatItCannotModel()
    {
        var corpus = new CharCorpus("t", "abracadabra, abracadabra!");
        Assert.Equal(" !,abcdr", new string(corpus.Vocabulary));
        Assert.Equal("abracadabra, abracadabra!", corpus.Decode(corpus.Tokens));
        Assert.Throws<ArgumentException>(() => corpus.Encode('z'));
        Assert.Throws<InvalidDataException>(() => new CharCorpus("t", "aaaaaaaaaaaaaaaaaaaaaaaaa"));
        Assert.Throws<InvalidDataException>(() => new CharCorpus("t", "ab"));
        Assert.Throws<InvalidDataException>(() => CharCorpus.ReadGzip(new MemoryStream(Encoding.ASCII.GetBytes("not gzip at all")), "t"));
        var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(Encoding.UTF8.GetBytes("hello"));
        packed.Position = 0;
        Assert.Equal("hello", CharCorpus.ReadGzip(packed, "t"));
    }

    [Theory]
    [InlineData(RecurrentCell.GruDiag)]
    [InlineData(RecurrentCell.LstmCifgDiag)]
    [InlineData(RecurrentCell.Gru)]
    public void TheModelsStackedLayersGiveTheSameLogitsWithEverySolverInFloat64(RecurrentCell cell)
    {
        using var scope = torch.NewDisposeScope();
        using var model = new CharLanguageModel(11, cell, 5, 2, seed: 4);
        model.to(ScalarType.Float64);
        var tokens = torch.randint(0, 11, new long[] { 3, 17 }, dtype: ScalarType.Int64, generator: new Generator(9));
        model.Solver = SequentialSolver.Instance;
        var sequential = model.call(tokens);
        model.Solver = ParallelChainSolver.DeepPcr;
        var parallel = model.call(tokens);
        Assert.Equal(new long[] { 3, 17, 11 }, parallel.shape);
        Assert.All(model.LastSolutions, s => Assert.Equal(Termination.Converged, s.Termination));
        Assert.All(model.LastSolutions, s => Assert.Equal(Fallback.None, s.Fallback));
        Assert.Equal(2, model.LastSolutions.Count);
        double error = (parallel - sequential).abs().max().ToDouble() / sequential.abs().max().ToDouble();
        Assert.True(error < 1e-10, $"{error:E2}");

        // Continuing from the states of a prefix gives the logits of the whole sequence.
        model.Solver = SequentialSolver.Instance;
        var (_, states) = model.Run(tokens.narrow(1, 0, 10), null);
        var (rest, _) = model.Run(tokens.narrow(1, 10, 7), states);
        Assert.True(rest.allclose(sequential.narrow(1, 10, 7), rtol: 1e-10, atol: 1e-12));
    }

    [Fact]
    public void TwoModelsFromOneSeedAreEqualAndUsePyTorchsNames()
    {
        using var a = new CharLanguageModel(7, RecurrentCell.GruDiag, 4, 2, seed: 1);
        using var b = new CharLanguageModel(7, RecurrentCell.GruDiag, 4, 2, seed: 1);
        var pa = a.named_parameters().ToArray();
        var pb = b.named_parameters().ToArray();
        Assert.Contains("weight_hh_l1", pa.Select(p => p.name));
        Assert.Equal(new long[] { 12 }, pa.Single(p => p.name == "weight_hh_l0").parameter.shape);
        Assert.Equal(pa.Select(p => p.name), pb.Select(p => p.name));
        for (int i = 0; i < pa.Length; i++) Assert.True(pa[i].parameter.allclose(pb[i].parameter, rtol: 0, atol: 0), pa[i].name);
        Assert.Throws<ArgumentException>(() => a.call(torch.zeros(new long[] { 2, 3 })));
    }

    [Fact]
    public void ATinyRunTrainsBothSolversToTheSameLosses()
    {
        using var folder = new TempFolder("deeppcr-charlm");
        var result = CliInvocation.Run("train", "charlm", "--json", "--steps", "6", "--log-every", "2", "--hidden", "8", "--length", "16",
            "--batch", "2", "--eval-chars", "64", "--sample-chars", "5", "--out", folder.Root);
        Assert.True(result.Code == 0, result.Error);
        var report = JsonNode.Parse(result.Out)!.AsObject();
        Assert.Equal(new[] { 1, 2, 4, 6 }, report["logged_steps"]!.AsArray().Select(n => (int)n!));
        var sequential = report["sequential"]!;
        var parallel = report["parallel"]!;
        Assert.Equal("sequential", (string)sequential["method"]!);
        Assert.Equal("deeppcr", (string)parallel["method"]!);
        var a = sequential["losses"]!.AsArray().Select(n => (double)n!).ToArray();
        var b = parallel["losses"]!.AsArray().Select(n => (double)n!).ToArray();
        Assert.Equal(4, a.Length);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(double.IsFinite(a[i]) && double.IsFinite(b[i]));
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-3 * Math.Abs(a[i]), $"step {i}: {a[i]} vs {b[i]}");
        }
        Assert.True((bool)report["agreement"]!["losses_agree"]!);
        Assert.Equal(0, (int)parallel["fallbacks"]!);
        foreach (var run in new[] { sequential, parallel })
        {
            Assert.True((double)run["tokens_per_second"]! > 0);
            double bits = (double)run["bits_per_char"]!;
            Assert.InRange(bits, 0.1, 10);
            Assert.StartsWith("And God said", (string)run["sample"]!);
            Assert.Equal("And God said".Length + 5, ((string)run["sample"]!).Length);
            Assert.False(string.IsNullOrEmpty((string)run["engine"]!));
        }
        Assert.True(File.Exists(folder.PathOf("loss_vs_time.png")));
        Assert.Equal(1 + 2 * 4, File.ReadAllLines(folder.PathOf("training.csv")).Length);
    }

    [Fact]
    public void OneSolverAloneAndOtherCellsRun()
    {
        var result = CliInvocation.Run("train", "charlm", "--steps", "2", "--cell", "lstm", "--layers", "1", "--hidden", "4", "--length", "8",
            "--batch", "1", "--eval-chars", "32", "--sample-chars", "3", "--solver", "quasi-newton-diagonal");
        Assert.True(result.Code == ExitCodes.Success, result.Error);
        Assert.Contains("quasi-newton-diagonal", result.Out);
        Assert.DoesNotContain("relative difference", result.Out);
    }
}
