import WaveCLI

WaveCommand.main()
